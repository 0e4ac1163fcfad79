//! Fuzz target `descripcion`: see `iop_app::fuzzing::description`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_app::fuzzing::description(data);
    });
}
