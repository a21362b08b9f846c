//! Build step: bundle the Compose Specification's JSON schema without its descriptions, which
//! are half of its bytes and of the time to read it at every run.

use std::path::Path;

fn strip(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            // Only the documentation keyword: a property *named* "description" is kept, since
            // it sits inside a "properties" object whose values are schemas.
            let is_schema = !map.contains_key("description")
                || map.get("description").is_some_and(|d| d.is_string());
            if is_schema {
                map.remove("description");
            }
            map.values_mut().for_each(strip);
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(strip),
        _ => {}
    }
}

fn main() {
    let source = "src/project/load/compose-spec.json";
    println!("cargo:rerun-if-changed={source}");
    let text = std::fs::read_to_string(source).expect("read the bundled compose schema");
    let mut schema: serde_json::Value =
        serde_json::from_str(&text).expect("the bundled compose schema is JSON");
    strip(&mut schema);
    let out = std::env::var("OUT_DIR").expect("OUT_DIR is set by cargo");
    std::fs::write(
        Path::new(&out).join("compose-spec.min.json"),
        serde_json::to_string(&schema).expect("serialize the schema"),
    )
    .expect("write the minified schema");
}
