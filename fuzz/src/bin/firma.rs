//! Fuzz target `firma`: see `iop_app::fuzzing::signed_pdf`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_app::fuzzing::signed_pdf(data);
    });
}
