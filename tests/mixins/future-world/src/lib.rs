//! A test-only component built against `wharf:mixin@9.0.0`, a world version
//! this Wharf does not speak. The host must refuse it by name. Never shipped.

wit_bindgen::generate!({
    inline: r#"
        package wharf:mixin@9.0.0;

        interface api {
            metadata: func() -> string;
        }

        world mixin {
            export api;
        }
    "#,
});

struct Future;

impl exports::wharf::mixin::api::Guest for Future {
    fn metadata() -> String {
        "from the future".into()
    }
}

export!(Future);
