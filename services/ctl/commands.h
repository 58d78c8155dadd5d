// ilpctl's commands. Each Add* registers its subcommands on `app`; the one
// the user picks sets *run, which main calls once the node is known.
#ifndef ILP_SERVICES_CTL_COMMANDS_H_
#define ILP_SERVICES_CTL_COMMANDS_H_

#include <functional>

#include "CLI/CLI.hpp"
#include "services/ctl/format.h"

namespace ilp::ctl {

using Runner = std::function<int(const Ctl&)>;

// patient get|find|history, tasks, changes [--follow] (ilp.v1.Records).
void AddRecordsCommands(CLI::App* app, Runner* run);
// status, tree, sync now, conflicts, quarantine, verify (ilp.v1.Admin).
void AddAdminCommands(CLI::App* app, Runner* run);
// pki init|issue-node|issue-operator|revoke: the district CA on local files;
// these runners ignore Ctl::channel.
void AddPkiCommands(CLI::App* app, Runner* run);
// backup --out DIR (ilp.v1.Admin.Backup, written locally).
void AddBackupCommands(CLI::App* app, Runner* run);
// token keygen|issue: app tokens on local files; ignores Ctl::channel.
void AddTokenCommands(CLI::App* app, Runner* run);
// satusehat status | retry --held (ilp.v1.Admin.SatusehatStatus, SatusehatRetry).
void AddSatusehatCommands(CLI::App* app, Runner* run);
// plan check|apply: a district plan on local files; ignores Ctl::channel.
void AddPlanCommands(CLI::App* app, Runner* run);

}  // namespace ilp::ctl

#endif  // ILP_SERVICES_CTL_COMMANDS_H_
