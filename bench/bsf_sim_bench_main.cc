// bsf-sim-bench: bsf-sim exactly as shipped (RunBsfSim: same commands, config, Ub and Zn
// servers), plus bench.v1.Echo registered on the Zn server, so that the load generator
// measures Zn GetNafKey beside that server's own trivial-call limit. Not installed.
#include "bench/echo_service.h"
#include "bsf_sim/bsf_sim_run.h"

int main(int argc, char** argv) {
  gbabridge::bench::EchoService echo;
  gbabridge::bsf::BsfServerHooks hooks;
  hooks.extra_zn_services.push_back(&echo);
  return gbabridge::bsf::RunBsfSim(argc, argv, std::move(hooks));
}
