#include "cli.hpp"

#include <boost/program_options.hpp>
#include <sstream>

namespace po = boost::program_options;

namespace superd {

CliResult ParseCommandLine(int argc, const char* const argv[]) {
  CliResult result;
  Options& o = result.options;
  std::string level;
  po::options_description desc("Usage: superd [OPTIONS]\nOptions");
  desc.add_options()
      ("config,c", po::value(&o.config)->value_name("FILE"),
       "service table (default: /etc/superd/superd.yaml)")
      ("check,t", po::bool_switch(&o.check),
       "load and validate the table, print every problem, exit")
      ("daemon,d", po::bool_switch(&o.daemon),
       "detach from the terminal (for SysV init); default: stay in the foreground")
      ("pid-file,p", po::value(&o.pid_file)->value_name("FILE"),
       "write the pid here; removed on exit")
      ("syslog", po::bool_switch(&o.syslog),
       "log to syslog (facility daemon) instead of stderr")
      ("log-level,l", po::value(&level)->value_name("LEVEL"),
       "error | warning | info | debug (default: info)")
      ("version,V", po::bool_switch(&o.version), "print the version and exit")
      ("help,h", po::bool_switch(&o.help), "print this help and exit");
  std::ostringstream help;
  help << desc;
  result.help = help.str();
  try {
    po::variables_map vm;
    po::positional_options_description none;  // superd takes no operands
    po::store(po::command_line_parser(argc, argv).options(desc).positional(none).run(),
              vm);
    po::notify(vm);
  } catch (const po::error& e) {
    result.error = e.what();
    return result;
  }
  if (!level.empty() && !ParseLogLevel(level, o.log_level))
    result.error = "invalid log level '" + level +
                   "' (expected error, warning, info or debug)";
  return result;
}

}  // namespace superd
