// RunBsfSim: the whole bsf-sim command line (serve, subscribers import, subscribers list),
// so that bsf-sim's main stays one line and the benchmarks' bsf-sim-bench can run the same
// program with an extra service on its Zn server.
#ifndef GBABRIDGE_BSF_SIM_BSF_SIM_RUN_H_
#define GBABRIDGE_BSF_SIM_BSF_SIM_RUN_H_

#include "bsf_sim/bsf_server.h"

namespace gbabridge::bsf {

// Returns the process exit status: 0 success, 1 failure, 2 usage.
int RunBsfSim(int argc, char** argv, BsfServerHooks hooks = {});

}  // namespace gbabridge::bsf

#endif  // GBABRIDGE_BSF_SIM_BSF_SIM_RUN_H_
