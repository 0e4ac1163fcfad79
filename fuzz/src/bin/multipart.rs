//! Fuzz target `multipart`: see `iop_api::fuzzing::multipart`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_api::fuzzing::multipart(data);
    });
}
