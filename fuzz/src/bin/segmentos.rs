//! Fuzz target `segmentos`: see `iop_control::fuzzing::segments`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_control::fuzzing::segments(data);
    });
}
