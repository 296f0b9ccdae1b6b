//! `midstream._native`: the PyO3 bindings of `midstream-core`.

mod builder;
mod chunks;
mod errors;
mod events;
mod parser;
mod providers;
mod skip;
mod sse;
mod strings;
mod typed;

use pyo3::prelude::*;

#[pymodule(gil_used = true)]
fn _native(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<parser::Parser>()?;
    module.add_class::<events::Event>()?;
    module.add_class::<typed::TypedParser>()?;
    module.add_class::<typed::plan::TypedPlan>()?;
    module.add_class::<sse::SseDecoder>()?;
    module.add_class::<sse::SseEvents>()?;
    module.add_class::<providers::ProviderReader>()?;
    module.add_class::<providers::ReadPieces>()?;
    module.add_class::<providers::Unchanged>()?;
    module.add("UNCHANGED", providers::unchanged(module.py()))?;
    module.add("DEFAULT_MAX_DEPTH", midstream_core::DEFAULT_MAX_DEPTH)?;
    Ok(())
}
