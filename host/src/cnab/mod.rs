//! CNAB documents: bundle.json and its canonical form.
