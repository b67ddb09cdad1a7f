// A stand-in for a Nix process, for tests/loader.rs: it exports the
// symbols the loader reads (nix::nixVersion and, for Determinate Nix,
// nix::determinateNixVersion) as the C++ library it is compiled with lays
// them out, or none, then loads the plugin as Nix does (dlopen, then
// nix_plugin_entry) and says it survived.
//   g++ -rdynamic -DNIX_VERSION='"2.95.3"' host.cc -o host -ldl
//   clang++-19 -stdlib=libc++ -rdynamic -DNIX_VERSION='"2.34.8"' ...
#include <cstdio>
#include <dlfcn.h>
#include <string>

namespace nix {
#ifdef NIX_VERSION
extern const std::string nixVersion;
const std::string nixVersion = NIX_VERSION;
#endif
#ifdef DETERMINATE_VERSION
extern const std::string determinateNixVersion;
const std::string determinateNixVersion = DETERMINATE_VERSION;
#endif
}

int main(int argc, char ** argv)
{
    if (argc != 2)
        return 2;
    void * h = dlopen(argv[1], RTLD_LAZY | RTLD_LOCAL);
    if (h == nullptr) {
        std::fprintf(stderr, "host: dlopen: %s\n", dlerror());
        return 2;
    }
    auto entry = reinterpret_cast<void (*)()>(dlsym(h, "nix_plugin_entry"));
    if (entry == nullptr) {
        std::fprintf(stderr, "host: no nix_plugin_entry\n");
        return 2;
    }
    entry();
    std::printf("host survived\n");
    return 0;
}
