// bsf-sim: a simulated BSF + HSS for GBA bootstrapping (TS 33.220), serving Ub over HTTP(S)
// (TS 24.109 §4, HTTP Digest AKA) and Zn over gRPC (bsf.v1.Zn).
//
//   bsf-sim serve --db hss.db --bsf-name bsf.example.org [--ub-listen H:P] [--zn-listen H:P]
//                 [--lifetime S] [--realm R] [--config FILE] [--naf-token FQDN=TOKEN]...
//                 [--ub-tls-cert F --ub-tls-key F] [--zn-tls-cert F --zn-tls-key F
//                 --zn-client-ca F]
//   bsf-sim subscribers import FILE --db hss.db [--replace]
//   bsf-sim subscribers list --db hss.db [--json]
//
// `serve` prints exactly one line on stdout once both listeners accept connections:
//   READY ub=HOST:PORT zn=HOST:PORT
// (the bound ports, so that port 0 can be used), and logs to stderr. SIGTERM or SIGINT
// stops it cleanly (exit status 0). Exit status: 0 success, 1 failure, 2 usage.
#include "bsf_sim/bsf_sim_run.h"

int main(int argc, char** argv) { return gbabridge::bsf::RunBsfSim(argc, argv); }
