//! Fuzz target `ruta`: see `iop_gateway::fuzzing::path_and_route`.
fn main() {
    afl::fuzz!(|data: &[u8]| {
        iop_gateway::fuzzing::path_and_route(data);
    });
}
