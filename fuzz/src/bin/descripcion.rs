//! Fuzz target `descripcion`: see `iop_control::fuzzing::description`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_control::fuzzing::description(data);
    });
}
