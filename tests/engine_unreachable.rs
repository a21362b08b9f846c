//! `connect()` against a daemon that is not there fails with one clear line and a hint.
//! This is its own test binary because it changes `DOCKER_HOST` for the whole process.

#[tokio::test]
async fn connect_to_a_missing_socket_fails_with_one_line() {
    // SAFETY: this binary has exactly one test, so no other thread reads the environment.
    unsafe { std::env::set_var("DOCKER_HOST", "unix:///nonexistent.sock") };
    let err = match rcompose::engine::connection::connect().await {
        Ok(engine) => panic!("connected to {}", engine.host),
        Err(err) => err,
    };
    assert_eq!(
        err.message,
        "cannot connect to the Docker daemon at unix:///nonexistent.sock: no such socket file"
    );
    assert_eq!(
        err.hint.as_deref(),
        Some("is the docker daemon running? check DOCKER_HOST and permissions on the socket")
    );
    assert_eq!(err.exit_code, 1);
    let shown = err.to_string();
    assert_eq!(shown.lines().count(), 2, "{shown}");
}
