//! Parser options. Every leniency is off by default: the default parser is strict RFC 8259.

/// Options for a [`Parser`](crate::Parser).
///
/// ```
/// let options = midstream_core::Options::default().max_depth(64).allow_nan(true);
/// assert_eq!(options.max_depth, 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Options {
    /// Deepest nesting of arrays and objects accepted; one more opening bracket is an error.
    pub max_depth: usize,
    /// Accept `NaN`, `Infinity` and `-Infinity` as numbers (as Python's `json` module does by default).
    pub allow_nan: bool,
}

/// The default depth limit: deep enough for any real document, shallow enough that consumers which do
/// recurse (repr, json.dumps, validators) stay safe.
pub const DEFAULT_MAX_DEPTH: usize = 512;

impl Default for Options {
    fn default() -> Self {
        Options {
            max_depth: DEFAULT_MAX_DEPTH,
            allow_nan: false,
        }
    }
}

impl Options {
    /// Set the depth limit.
    pub fn max_depth(mut self, depth: usize) -> Self {
        self.max_depth = depth;
        self
    }

    /// Accept or reject `NaN` and `Infinity`.
    pub fn allow_nan(mut self, allow: bool) -> Self {
        self.allow_nan = allow;
        self
    }
}
