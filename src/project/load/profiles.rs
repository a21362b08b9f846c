//! `profiles:`: which services a set of active profiles keeps.

use super::*;

/// Every profile any service names.
pub(super) fn profiles(json: &Json) -> BTreeSet<String> {
    json.get("services")
        .and_then(Json::as_object)
        .into_iter()
        .flat_map(|s| s.values())
        .filter_map(|s| s.get("profiles").and_then(Json::as_array))
        .flatten()
        .filter_map(Json::as_str)
        .map(str::to_string)
        .collect()
}

/// Drop services whose profiles are not active (`*` activates all; services named explicitly are
/// always kept). Returns the names of the dropped services.
pub(super) fn apply_profiles(
    json: &mut Json,
    active: &BTreeSet<String>,
    named: &[String],
) -> Vec<String> {
    let Some(services) = json.get_mut("services").and_then(Json::as_object_mut) else {
        return Vec::new();
    };
    let disabled: Vec<String> = services
        .iter()
        .filter(|(name, service)| {
            let Some(list) = service.get("profiles").and_then(Json::as_array) else {
                return false;
            };
            if list.is_empty() || active.contains("*") || named.contains(name) {
                return false;
            }
            !list
                .iter()
                .filter_map(Json::as_str)
                .any(|p| active.contains(p))
        })
        .map(|(name, _)| name.clone())
        .collect();
    for name in &disabled {
        services.remove(name);
    }
    disabled
}
