//! Interpolation of every string value of a tree with the `${}` language of [`super::template`].

use std::collections::BTreeSet;

use super::template::substitute;
use super::yaml::{Node, Value};
use crate::error::{Error, Mark, Result};

/// Interpolate every string in `node`. Variables referenced but unset are added to `unset`
/// (compose warns about them and uses an empty string).
pub fn interpolate(
    node: &mut Node,
    lookup: &dyn Fn(&str) -> Option<String>,
    unset: &mut BTreeSet<String>,
) -> Result<()> {
    match &mut node.value {
        Value::Str(text) => {
            if !text.contains('$') {
                return Ok(());
            }
            match substitute(text, lookup) {
                Ok(done) => {
                    unset.extend(done.unset);
                    *text = done.value;
                    Ok(())
                }
                Err(e) => {
                    // Point at the expression when the string is on one line.
                    let mut mark = node.mark.clone();
                    if !text.contains('\n') {
                        mark = Mark::new(
                            mark.file.clone(),
                            mark.line,
                            mark.column + text[..e.offset.min(text.len())].chars().count() as u32,
                        );
                    }
                    Err(Error::at(&mark, e.message))
                }
            }
        }
        Value::Seq(items) => items
            .iter_mut()
            .try_for_each(|item| interpolate(item, lookup, unset)),
        Value::Map(entries) => entries
            .iter_mut()
            .try_for_each(|(_, value)| interpolate(value, lookup, unset)),
        Value::Null | Value::Bool(_) | Value::Int(_) | Value::Float(_) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::project::load::yaml::{Positions, parse};
    use std::sync::Arc;

    #[test]
    fn interpolates_values_not_keys_and_collects_unset() {
        let mut node = parse(
            "services:\n  ${A}:\n    image: \"img:${TAG:-latest}\"\n    user: $U\n    environment: [\"X=$$HOME\"]\n",
            &Arc::from("t.yml"),
        )
        .unwrap();
        let mut unset = BTreeSet::new();
        let lookup = |k: &str| (k == "TAG").then(|| "1.0".to_string());
        interpolate(&mut node, &lookup, &mut unset).unwrap();
        let v = node.to_json(&mut Positions::default());
        assert_eq!(v["services"]["${A}"]["image"], "img:1.0");
        assert_eq!(v["services"]["${A}"]["user"], "");
        assert_eq!(v["services"]["${A}"]["environment"][0], "X=$HOME");
        assert_eq!(unset.into_iter().collect::<Vec<_>>(), vec!["U".to_string()]);
    }

    #[test]
    fn required_variable_error_points_at_the_value() {
        let mut node = parse(
            "services:\n  web:\n    image: x:${TAG:?set TAG first}\n",
            &Arc::from("t.yml"),
        )
        .unwrap();
        let err = interpolate(&mut node, &|_| None, &mut BTreeSet::new()).unwrap_err();
        let text = err.to_string();
        assert!(text.starts_with("t.yml:3:"), "{text}");
        assert!(text.contains("TAG"), "{text}");
        assert!(text.contains("set TAG first"), "{text}");
    }
}
