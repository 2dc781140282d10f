// discard - the Discard Protocol (RFC 863), a sample service of superd:
// reads and drops its input until end of input; never sends anything.
#include "service.hpp"

static void stream() {
    static char buf[65536];
    while (svc::read_some(0, buf, sizeof buf) > 0) {}
}

static svc::Reply reply(std::string_view) { return std::nullopt; }

int main() { return svc::run("discard", stream, reply); }
