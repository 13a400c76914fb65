//! Issue 11, holes 3, 7 and 8, played through the real runtime in a real
//! container: a busybox bundle whose custom actions each carry one attack
//! by the hostile `hostile-process` component (tests/mixins/hostile-process),
//! the hand-written `hostile-memory` one (tests/mixins/hostile-memory) or
//! a step's script. Each attack must fail (or come to nothing) with a
//! clear message, and the next run of the same installation must work.

use wharf_test_support::cli::{Wharf, busybox_bundle, contains};
use wharf_test_support::docker::ensure_docker;
use wharf_test_support::guest_wasm;
use wharf_test_support::wat_guest::wat_guest;

const WHARF: &str = env!("CARGO_BIN_EXE_wharf");

const MANIFEST: &str = r#"  - hostile-process
  - hostile-memory
install:
  - hostile-process:
      description: Say hello
      do: run
      program: echo
      args: [installed]
uninstall:
  - hostile-process:
      description: Say goodbye
      do: run
      program: echo
      args: [goodbye]
hello:
  - hostile-process:
      description: Still works
      do: run
      program: echo
      args: [still alive]
preload:
  - hostile-process:
      description: Turn echo into the mixin's own code
      do: run
      program: echo
      args: [preloaded]
      env: [[LD_PRELOAD, /cnab/app/evil.so]]
spy:
  - hostile-process:
      description: Leave a child behind
      do: run
      program: sh
      args: ["-c", "(sleep 1; echo SPIED > /cnab/app/spied) </dev/null >/dev/null 2>&1 &"]
  - exec:
      description: A later step
      command: ./spy-check.sh
escapes:
  - hostile-process:
      description: Print escape sequences
      do: escapes
sparse:
  - exec:
      description: Leave a 2 GiB sparse file in the outputs
      command: ./sparse.sh
link:
  - exec:
      description: Leave a symlink in the outputs
      command: ./link.sh
memories:
  - hostile-memory:
      memories: true
tables:
  - hostile-memory:
      tables: true
"#;

const SPY_CHECK: &str = "#!/bin/sh
sleep 3
if [ -e /cnab/app/spied ]; then echo \"spy ran: $(cat /cnab/app/spied)\"; else echo 'no spy'; fi
";

const SPARSE: &str = "#!/bin/sh
mkdir -p /cnab/app/outputs
dd if=/dev/zero of=/cnab/app/outputs/big bs=1 count=0 seek=2147483648 2>/dev/null
ls -l /cnab/app/outputs/big
";

const LINK: &str = "#!/bin/sh
mkdir -p /cnab/app/outputs
ln -s /etc/passwd /cnab/app/outputs/link
";

#[test]
fn hostile_steps_fail_clearly_in_a_container_and_the_next_run_works() {
    ensure_docker();
    // busybox_bundle names only exec; the manifest adds the hostile mixin
    // to that list.
    let bundle = busybox_bundle(
        "hostile",
        MANIFEST,
        &[
            ("spy-check.sh", SPY_CHECK),
            ("sparse.sh", SPARSE),
            ("link.sh", LINK),
        ],
    );
    let wharf = Wharf::new(WHARF, bundle.path());
    for wasm in [guest_wasm("hostile-process"), wat_guest("hostile-memory")] {
        wharf
            .run(&["mixins", "install", wasm.to_str().unwrap()])
            .ok();
    }
    wharf.run(&["build"]).ok();
    let install = wharf.run(&["install"]).ok();
    assert!(install.stdout.contains("installed"), "{}", install.stdout);
    let still_works = || {
        let hello = wharf.run(&["invoke", "--action", "hello"]).ok();
        assert!(hello.stdout.contains("still alive"), "{}", hello.stdout);
    };

    // Hole 3: LD_PRELOAD on a declared echo.
    let preload = wharf.run(&["invoke", "--action", "preload"]).failed();
    let text = format!("{}{}", preload.stdout, preload.stderr);
    assert!(
        text.contains("may not set `LD_PRELOAD` on `echo`"),
        "{text}"
    );
    assert!(!text.contains("preloaded"), "echo ran: {text}");
    still_works();

    // Hole 7: a background child outliving its step to spy on the next.
    let spy = wharf.run(&["invoke", "--action", "spy"]).ok();
    assert!(spy.stdout.contains("no spy"), "{}", spy.stdout);
    assert!(!spy.stdout.contains("SPIED"), "{}", spy.stdout);
    still_works();

    // Hole 7: escape sequences from the mixin, its command and its log
    // never reach the terminal (or the stored log) raw.
    let escapes = wharf.run(&["invoke", "--action", "escapes"]).ok();
    let text = format!("{}{}", escapes.stdout, escapes.stderr);
    assert!(
        text.contains("stdout") && text.contains("command"),
        "{text}"
    );
    assert!(!text.contains('\x1b') && !text.contains('\x07'), "{text:?}");
    let logs = wharf.run(&["logs", "show", "-i", "hostile"]).ok();
    assert!(
        !contains(logs.stdout.as_bytes(), "\x1b"),
        "{:?}",
        logs.stdout
    );

    // Hole 8: a 2 GiB sparse output and a symlink output are refused by
    // name, without reading them.
    let sparse = wharf.run(&["invoke", "--action", "sparse"]).failed();
    let text = format!("{}{}", sparse.stdout, sparse.stderr);
    assert!(
        text.contains("output `big` is 2147483648 bytes, over the limit"),
        "{text}"
    );
    still_works();
    let link = wharf.run(&["invoke", "--action", "link"]).failed();
    let text = format!("{}{}", link.stdout, link.stderr);
    assert!(text.contains("output `link` is a symbolic link"), "{text}");
    still_works();

    // Hole 7: eight memories of 250 MiB, and four of them plus a table,
    // each under the 1 GiB cap of `execute` alone, are stopped together.
    for action in ["memories", "tables"] {
        let ran = wharf.run(&["invoke", "--action", action]).failed();
        let text = format!("{}{}", ran.stdout, ran.stderr);
        assert!(
            text.contains("hostile-memory") && text.contains("over its limit of 1073741824 bytes"),
            "{action}: {text}"
        );
        still_works();
    }

    wharf.run(&["uninstall"]).ok();
}

/// Hole 7: `wharf mixins install FILE` reads a component only up to its
/// size cap and only from a regular file: a device and a 129 MiB (sparse)
/// file are refused by name, and a real component installs after them.
#[test]
fn an_endless_or_oversized_component_file_is_refused() {
    let dir = wharf_test_support::scratch_dir();
    let wharf = Wharf::new(WHARF, dir.path());
    let big = dir.path().join("big.wasm");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(129 * 1024 * 1024)
        .unwrap();
    for (file, why) in [
        ("/dev/zero", "is not a file"),
        (big.to_str().unwrap(), "it is larger than 134217728 bytes"),
    ] {
        let ran = wharf.run(&["mixins", "install", file]).failed();
        let text = format!("{}{}", ran.stdout, ran.stderr);
        assert!(text.contains(file) && text.contains(why), "{file}: {text}");
    }
    let wasm = guest_wasm("hostile-process");
    wharf
        .run(&["mixins", "install", wasm.to_str().unwrap()])
        .ok();
}
