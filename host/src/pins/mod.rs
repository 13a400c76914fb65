//! Pinning a bundle's mixins to exact components.
//!
//! porter.yaml names mixins loosely (`exec`, `helm3@^1`, a reference); a
//! build must use exactly the same components every time until the author
//! asks for newer ones. [`lock`] is the `wharf.lock` file that records the
//! pins beside porter.yaml; [`resolve`] turns `mixins:` into components
//! through it, pulling from registries only what the lock or a fresh
//! resolution names.

pub mod lock;
pub mod resolve;

pub use resolve::{PinOptions, Pinner};
