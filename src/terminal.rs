//! The terminal rcompose runs in: whether standard input is one, its size, and raw mode for
//! interactive sessions (`exec`, `run`, `attach` with a TTY), restored when the guard drops.

use std::io::IsTerminal;

/// Standard input is a terminal.
pub fn stdin_is_terminal() -> bool {
    std::io::stdin().is_terminal()
}

/// Standard output is a terminal.
pub fn stdout_is_terminal() -> bool {
    std::io::stdout().is_terminal()
}

/// Rows and columns of the terminal on standard output (or input), if there is one.
pub fn size() -> Option<(u16, u16)> {
    for fd in [libc::STDOUT_FILENO, libc::STDIN_FILENO] {
        let mut size = libc::winsize {
            ws_row: 0,
            ws_col: 0,
            ws_xpixel: 0,
            ws_ypixel: 0,
        };
        // SAFETY: TIOCGWINSZ writes one `winsize` into the struct we own.
        let result = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, &mut size) };
        if result == 0 && size.ws_row > 0 && size.ws_col > 0 {
            return Some((size.ws_row, size.ws_col));
        }
    }
    None
}

/// Standard input in raw mode (no echo, no line editing, no signals from keys) while alive.
pub struct RawMode {
    original: libc::termios,
}

impl RawMode {
    /// Switch standard input to raw mode; `None` when it is not a terminal.
    pub fn enable() -> Option<RawMode> {
        if !stdin_is_terminal() {
            return None;
        }
        // SAFETY: a zeroed termios is a valid value for tcgetattr to overwrite.
        let mut original: libc::termios = unsafe { std::mem::zeroed() };
        // SAFETY: fd 0 is a terminal (checked above) and `original` is a valid termios.
        if unsafe { libc::tcgetattr(libc::STDIN_FILENO, &mut original) } != 0 {
            return None;
        }
        let mut raw = original;
        // SAFETY: cfmakeraw only edits the struct it is given.
        unsafe { libc::cfmakeraw(&mut raw) };
        // SAFETY: fd 0 is a terminal and `raw` a valid termios.
        if unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &raw) } != 0 {
            return None;
        }
        Some(RawMode { original })
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        // SAFETY: restores the settings read from the same terminal in `enable`.
        unsafe { libc::tcsetattr(libc::STDIN_FILENO, libc::TCSANOW, &self.original) };
    }
}
