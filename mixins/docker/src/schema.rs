//! The JSON Schema of a docker step: Porter's docker mixin schema, plus the
//! `suppress-output` and `ignoreError` Wharf accepts on every command, and
//! list values in `flags` (which Porter's README shows but its schema
//! forgets).

use mixin_sdk::schema;
use serde_json::{Map, Value, json};

/// Porter's fields shared by every command, and Wharf's two additions.
fn common_properties() -> Map<String, Value> {
    let mut map = Map::new();
    map.insert(
        "arguments".into(),
        schema::string_list("Arguments; where they go depends on the command"),
    );
    map.insert("flags".into(), schema::flags());
    map.insert("outputs".into(), schema::outputs());
    map.insert("suppress-output".into(), schema::suppress_output());
    map.insert("ignoreError".into(), schema::ignore_error());
    map
}

/// A command's object schema from its own properties.
fn command(description: &str, own: Value) -> Value {
    let mut properties = common_properties();
    if let Value::Object(own) = own {
        properties.extend(own);
    }
    json!({
        "description": description,
        "type": "object",
        "properties": properties,
        "additionalProperties": false
    })
}

fn text(description: &str) -> Value {
    json!({"description": description, "type": ["string", "number"]})
}

fn flag(description: &str) -> Value {
    json!({"description": description, "type": "boolean"})
}

/// The schema of one docker step body.
pub fn step() -> Value {
    let pull = command(
        "docker pull NAME:TAG (or NAME@DIGEST)",
        json!({
            "name": text("The image's repository"),
            "tag": text("The tag to pull"),
            "digest": text("The digest to pull; wins over tag")
        }),
    );
    let push = command(
        "docker push NAME:TAG",
        json!({
            "name": text("The image's repository"),
            "tag": text("The tag to push")
        }),
    );
    let build = command(
        "docker build -t TAG [-f FILE] PATH",
        json!({
            "tag": text("The image to build (-t)"),
            "file": text("The Dockerfile (-f)"),
            "path": text("The build context; defaults to the bundle directory")
        }),
    );
    let mut login = command(
        "docker login, the password passed on standard input",
        json!({
            "username": text("The user"),
            "password": text("The password or token; use a sensitive credential")
        }),
    );
    // Porter accepts `login:` with nothing under it.
    login["type"] = json!(["object", "null"]);
    let run = command(
        "docker run [flags] IMAGE [COMMAND] [ARGUMENTS...]",
        json!({
            "image": text("The image to run"),
            "name": text("The container's name (--name)"),
            "command": text("The program to run in the container, as one word"),
            "detach": flag("Run in the background (-d)"),
            "ports": {
                "description": "Published ports (-p HOST:CONTAINER)",
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "host": text("The port on the Docker host"),
                        "container": text("The port in the container")
                    },
                    "additionalProperties": false,
                    "required": ["container"]
                }
            },
            "env": schema::envs(),
            "privileged": flag("Run privileged (--privileged)"),
            "rm": flag("Remove the container when it exits (--rm)")
        }),
    );
    let remove = command(
        "docker rm [-f] CONTAINER",
        json!({
            "container": text("The container's name or ID"),
            "force": flag("Remove it even if it is running (-f)")
        }),
    );
    let one_of: Vec<Value> = ["pull", "push", "build", "login", "run", "remove"]
        .iter()
        .map(|key| json!({"required": [key]}))
        .collect();
    json!({
        "description": "A step that runs the docker CLI",
        "type": "object",
        "properties": {
            "description": schema::description(),
            "pull": pull,
            "push": push,
            "build": build,
            "login": login,
            "run": run,
            "remove": remove
        },
        "additionalProperties": false,
        "required": ["description"],
        "oneOf": one_of
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_command_has_the_shared_fields_and_no_others() {
        let s = step();
        for key in ["pull", "push", "build", "login", "run", "remove"] {
            let props = &s["properties"][key]["properties"];
            for shared in [
                "arguments",
                "flags",
                "outputs",
                "suppress-output",
                "ignoreError",
            ] {
                assert!(props[shared].is_object(), "{key}.{shared}");
            }
            assert_eq!(s["properties"][key]["additionalProperties"], false);
        }
        assert!(s["properties"]["run"]["properties"]["image"].is_object());
        assert!(s["properties"]["build"]["properties"]["path"].is_object());
        assert_eq!(s["oneOf"].as_array().unwrap().len(), 6);
    }
}
