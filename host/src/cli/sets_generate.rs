//! `wharf parameters|credentials generate`: a set for a bundle.
//!
//! As Porter does, it asks on a terminal where each entry gets its value.
//! Without a terminal (a script, CI) there is nobody to ask, so every entry
//! reads the environment variable named after it, which is the default a
//! user would most often pick anyway.

use std::io::{BufRead, IsTerminal, Write};

use anyhow::{Context, Result, bail};
use wharf::sets::{
    SetKind, SetStore, Source, SourceKind, default_source, env_var_name, generate_with,
    try_generate_with, user_entries,
};

use super::super::bundle_source::BundleSourceArgs;
use super::super::output::{outln, progress_line};

#[derive(Debug, clap::Args)]
pub struct GenerateArgs {
    /// The set's name; the bundle's name when omitted.
    name: Option<String>,
    /// The namespace to store the set in; the global namespace by default.
    #[arg(short, long, default_value = "", hide_default_value = true)]
    namespace: String,
    #[command(flatten)]
    bundle: BundleSourceArgs,
}

pub async fn run(store: &SetStore, kind: SetKind, args: GenerateArgs) -> Result<()> {
    let loaded = args.bundle.load(&mut progress_line).await?;
    let bundle = &loaded.bundle;
    let name = args.name.unwrap_or_else(|| bundle.name.clone());
    if user_entries(bundle, kind).is_empty() {
        outln!(
            "The bundle {} has no {}s to set, so no {} was generated",
            bundle.name,
            kind.noun(),
            kind.set_noun()
        )?;
        return Ok(());
    }
    let mut set = if std::io::stdin().is_terminal() {
        eprintln!("Generating the {} {name}", kind.set_noun());
        let mut prompter = Prompter {
            input: std::io::stdin().lock(),
            output: std::io::stderr(),
            kind,
        };
        try_generate_with(bundle, kind, |entry, description| {
            prompter.ask(entry, description)
        })?
    } else {
        generate_with(bundle, kind, |entry, _| default_source(entry))
    };
    if set.entries.is_empty() {
        outln!(
            "Every {} was skipped, so no {} was stored",
            kind.noun(),
            kind.set_noun()
        )?;
        return Ok(());
    }
    set.name = name;
    set.namespace = args.namespace;
    let stored = store
        .apply(set)
        .with_context(|| format!("cannot store the generated {}", kind.set_noun()))?;
    outln!(
        "Generated {} {} with {} {}{} in {}; see it with `wharf {} show {}{}`",
        kind.set_noun(),
        stored.qualified_name(),
        stored.entries.len(),
        kind.noun(),
        if stored.entries.len() == 1 { "" } else { "s" },
        store.path(kind, &stored.namespace, &stored.name).display(),
        kind.command(),
        stored.name,
        if stored.namespace.is_empty() {
            String::new()
        } else {
            format!(" -n {}", stored.namespace)
        }
    )?;
    Ok(())
}

/// The answers a user may give for an entry's source, in the order shown;
/// `None` skips the entry (Porter's "skip").
const CHOICES: [(&str, Option<SourceKind>); 6] = [
    ("value", Some(SourceKind::Value)),
    ("env", Some(SourceKind::Env)),
    ("path", Some(SourceKind::Path)),
    ("command", Some(SourceKind::Command)),
    ("secret", Some(SourceKind::Secret)),
    ("skip", None),
];

/// The choice an answer names: its number, its name, or nothing for the
/// default (`env`); `Err` for anything else.
fn choice(answer: &str) -> Result<Option<SourceKind>, ()> {
    let answer = answer.trim().to_ascii_lowercase();
    if answer.is_empty() {
        return Ok(Some(SourceKind::Env));
    }
    CHOICES
        .iter()
        .enumerate()
        .find(|(i, (name, _))| answer == *name || answer == (i + 1).to_string())
        .map(|(_, (_, kind))| *kind)
        .ok_or(())
}

/// Asks, one entry at a time, where each value comes from. Generic over
/// its streams so the conversation can be tested without a terminal.
struct Prompter<R, W> {
    input: R,
    output: W,
    kind: SetKind,
}

impl<R: BufRead, W: Write> Prompter<R, W> {
    /// The source of entry `name`, or `None` to leave it out of the set.
    fn ask(&mut self, name: &str, description: &str) -> Result<Option<Source>> {
        let about = if description.is_empty() {
            String::new()
        } else {
            format!(" ({description})")
        };
        writeln!(
            self.output,
            "\nHow should the {} `{name}`{about} get its value?",
            self.kind.noun()
        )?;
        let menu: Vec<String> = CHOICES
            .iter()
            .enumerate()
            .map(|(i, (label, _))| format!("{}) {label}", i + 1))
            .collect();
        writeln!(self.output, "  {}", menu.join("  "))?;
        let source = loop {
            match choice(&self.line("Choice [env]: ")?) {
                Ok(source) => break source,
                Err(()) => writeln!(
                    self.output,
                    "Type a number from 1 to 6, or a name such as env"
                )?,
            }
        };
        let Some(source) = source else {
            return Ok(None);
        };
        let hint = self.hint(name, source)?;
        Ok(Some(Source::new(source, hint)))
    }

    /// The hint for a source of `kind`; a value may be empty (as in a set
    /// file), anything else is asked again until given.
    fn hint(&mut self, name: &str, kind: SourceKind) -> Result<String> {
        let (question, default) = match kind {
            SourceKind::Value => {
                writeln!(
                    self.output,
                    "The value is stored in the set as typed; choose secret for anything sensitive."
                )?;
                return self.line("Value: ");
            }
            SourceKind::Env => ("Environment variable", Some(env_var_name(name))),
            SourceKind::Path => ("File path", None),
            SourceKind::Command => ("Command", None),
            SourceKind::Secret => ("Secret key", Some(name.to_string())),
        };
        let prompt = match &default {
            Some(default) => format!("{question} [{default}]: "),
            None => format!("{question}: "),
        };
        loop {
            let answer = self.line(&prompt)?;
            let answer = answer.trim();
            match (&default, answer.is_empty()) {
                (_, false) => return Ok(answer.to_string()),
                (Some(default), true) => return Ok(default.clone()),
                (None, true) => writeln!(self.output, "A {} is needed", question.to_lowercase())?,
            }
        }
    }

    /// One line of input without its line ending; the input ending is a
    /// cancellation, so a half-answered set is never stored.
    fn line(&mut self, prompt: &str) -> Result<String> {
        write!(self.output, "{prompt}")?;
        self.output.flush()?;
        let mut line = String::new();
        if self.input.read_line(&mut line)? == 0 {
            bail!(
                "cancelled: the input ended before every {} had a source; nothing was stored",
                self.kind.noun()
            );
        }
        Ok(line.trim_end_matches(['\r', '\n']).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn prompter(input: &str) -> Prompter<&[u8], Vec<u8>> {
        Prompter {
            input: input.as_bytes(),
            output: Vec::new(),
            kind: SetKind::Credential,
        }
    }

    #[test]
    fn defaults_to_the_environment_variable_named_after_the_entry() {
        let mut p = prompter("\n\n");
        let source = p.ask("kube-config", "A kubeconfig").unwrap();
        assert_eq!(source, Some(Source::Env("KUBE_CONFIG".into())));
        let said = String::from_utf8(p.output).unwrap();
        assert!(said.contains("`kube-config` (A kubeconfig)"), "{said}");
    }

    #[test]
    fn takes_a_choice_by_number_or_name_and_asks_again_on_nonsense() {
        let mut p = prompter("nope\n5\n\nSECRET\ndb-pass\n6\n");
        assert_eq!(
            p.ask("token", "").unwrap(),
            Some(Source::Secret("token".into()))
        );
        assert_eq!(
            p.ask("password", "").unwrap(),
            Some(Source::Secret("db-pass".into()))
        );
        assert_eq!(p.ask("other", "").unwrap(), None);
        let said = String::from_utf8(p.output).unwrap();
        assert!(said.contains("Type a number from 1 to 6"), "{said}");
    }

    #[test]
    fn a_path_is_asked_again_until_given_and_a_value_is_kept_as_typed() {
        let mut p = prompter("path\n\n/tmp/kube\nvalue\n  two words \n");
        assert_eq!(
            p.ask("kube", "").unwrap(),
            Some(Source::Path("/tmp/kube".into()))
        );
        assert_eq!(
            p.ask("greeting", "").unwrap(),
            Some(Source::Value("  two words ".into()))
        );
    }

    #[test]
    fn the_input_ending_cancels() {
        let mut p = prompter("command\n");
        let err = p.ask("x", "").unwrap_err().to_string();
        assert!(
            err.contains("cancelled") && err.contains("nothing was stored"),
            "{err}"
        );
    }
}
