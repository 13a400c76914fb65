//! A driver for tests: plays a scripted run instead of starting a
//! container, and records every call it gets.

use std::collections::BTreeMap;
use std::sync::{Mutex, PoisonError};

use anyhow::anyhow;
use tokio::sync::Notify;

use crate::drivers::{BoxFuture, Completed, Driver, Invocation, OutputCallback};
use crate::mixin::Stream;

/// What the driver was asked to do, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Call {
    Run(Invocation),
    RemoveContainer(String),
}

/// How the scripted run ends, after its output.
#[derive(Debug, Clone)]
enum Ending {
    /// The container exits with this code, leaving these output files.
    Exits {
        code: i64,
        outputs: BTreeMap<String, Vec<u8>>,
    },
    /// The run cannot be carried out.
    Fails(String),
    /// The container never exits: the run waits until it is canceled.
    Hangs,
}

pub struct FakeDriver {
    output: Vec<(Stream, Vec<u8>)>,
    ending: Ending,
    image_types: Vec<&'static str>,
    removal_fails: bool,
    calls: Mutex<Vec<Call>>,
    hanging: Notify,
}

impl FakeDriver {
    fn ending(ending: Ending) -> Self {
        Self {
            output: Vec::new(),
            ending,
            image_types: vec!["docker"],
            removal_fails: false,
            calls: Mutex::new(Vec::new()),
            hanging: Notify::new(),
        }
    }

    /// A run whose container exits with `code`.
    pub fn exits(code: i64) -> Self {
        Self::ending(Ending::Exits {
            code,
            outputs: BTreeMap::new(),
        })
    }

    /// A run the driver cannot carry out, failing with `message`.
    pub fn fails(message: &str) -> Self {
        Self::ending(Ending::Fails(message.to_string()))
    }

    /// A run that goes on until it is canceled.
    pub fn hangs() -> Self {
        Self::ending(Ending::Hangs)
    }

    /// The container prints `text` on `stream` first (in the order given).
    pub fn printing(mut self, stream: Stream, text: &str) -> Self {
        self.output.push((stream, text.as_bytes().to_vec()));
        self
    }

    /// The container leaves an output file `name`.
    pub fn with_output(mut self, name: &str, value: &str) -> Self {
        if let Ending::Exits { outputs, .. } = &mut self.ending {
            outputs.insert(name.to_string(), value.as_bytes().to_vec());
        }
        self
    }

    /// The driver runs only images of these types.
    pub fn handling(mut self, image_types: &[&'static str]) -> Self {
        self.image_types = image_types.to_vec();
        self
    }

    /// Removing a container fails.
    pub fn failing_removal(mut self) -> Self {
        self.removal_fails = true;
        self
    }

    /// Every call so far.
    pub fn calls(&self) -> Vec<Call> {
        self.lock().clone()
    }

    /// Resolves once a hanging run has printed its output and waits.
    pub async fn wait_until_hanging(&self) {
        self.hanging.notified().await;
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Call>> {
        self.calls.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

impl Driver for FakeDriver {
    fn name(&self) -> &str {
        "fake"
    }

    fn handles(&self, image_type: &str) -> bool {
        self.image_types.contains(&image_type)
    }

    fn run<'a>(
        &'a self,
        invocation: &'a Invocation,
        on_output: OutputCallback<'a>,
    ) -> BoxFuture<'a, anyhow::Result<Completed>> {
        Box::pin(async move {
            self.lock().push(Call::Run(invocation.clone()));
            for (stream, bytes) in &self.output {
                on_output(*stream, bytes);
            }
            match &self.ending {
                Ending::Exits { code, outputs } => Ok(Completed {
                    exit_code: *code,
                    outputs: outputs.clone(),
                }),
                Ending::Fails(message) => Err(anyhow!("{message}")),
                Ending::Hangs => {
                    // A permit is kept if nobody waits yet.
                    self.hanging.notify_one();
                    std::future::pending().await
                }
            }
        })
    }

    fn remove_container<'a>(&'a self, name: &'a str) -> BoxFuture<'a, anyhow::Result<()>> {
        Box::pin(async move {
            self.lock().push(Call::RemoveContainer(name.to_string()));
            if self.removal_fails {
                return Err(anyhow!("the fake engine refused to remove {name}"));
            }
            Ok(())
        })
    }
}
