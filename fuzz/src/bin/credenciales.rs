//! Fuzz target `credenciales`: see `iop_gateway::fuzzing::credentials`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_gateway::fuzzing::credentials(data);
    });
}
