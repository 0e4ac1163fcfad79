//! Fuzz target `multipart`: see `iop_control::fuzzing::multipart`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_control::fuzzing::multipart(data);
    });
}
