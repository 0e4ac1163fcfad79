//! Fuzz target `segmentos`: see `iop_app::fuzzing::segments`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_app::fuzzing::segments(data);
    });
}
