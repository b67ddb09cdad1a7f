// host.hh: what the Rust core may ask of the evaluation it runs in.
#pragma once

#include "compat.hh"
#include "rust/cxx.h"

namespace jen {

struct DirEntry;
struct Position;

/// One builtin call's view of Nix: files are read through the evaluator's
/// source accessor, so pure evaluation and restrict-eval apply exactly as
/// they do to builtins.readFile.
class Host
{
public:
    Host(nix::EvalState & state, nix::PosIdx pos, nix::Value ** args, size_t nargs)
        : state(state)
        , pos(pos)
        , args(args)
        , nargs(nargs)
    {
    }

    rust::String read_file(rust::Str path) const;
    rust::Vec<DirEntry> read_dir(rust::Str path) const;
    uint8_t file_type(rust::Str path) const;
    bool is_pure() const;
    rust::String store_dir() const;
    rust::String nix_version() const;
    Position position(size_t arg, rust::Slice<const rust::String> path, size_t skip) const;

private:
    nix::EvalState & state;
    nix::PosIdx pos;
    nix::Value ** args;
    size_t nargs;
};

/// Register builtins.jen with Nix; called once from jen_backend_entry.
void register_builtins();

} // namespace jen
