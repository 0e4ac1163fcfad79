//! Fuzz target `configuracion`: see `iop::fuzzing::config`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop::fuzzing::config(data);
    });
}
