//! Which tools a server offers: the mode that `PINGERA_MODE` sets.
//!
//! Invariant: the mode is the outermost filter; read-only offers no tool that changes anything in Pingera,
//! whatever the toolsets and tool lists say.

/// Which tools are offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Only tools that change nothing in Pingera.
    ReadOnly,
    /// Every tool.
    ReadWrite,
}

impl Mode {
    /// The configuration word for the mode.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::ReadOnly => "read_only",
            Mode::ReadWrite => "read_write",
        }
    }
}
