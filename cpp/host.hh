// host.hh: what the Rust core may ask of the evaluation it runs in.
#pragma once

#include "compat.hh"
#include "rust/cxx.h"

namespace jen {

struct DirEntry;

/// One builtin call's view of Nix: files are read through the evaluator's
/// source accessor, so pure evaluation and restrict-eval apply exactly as
/// they do to builtins.readFile.
class Host
{
public:
    Host(nix::EvalState & state, nix::PosIdx pos)
        : state(state)
        , pos(pos)
    {
    }

    rust::String read_file(rust::Str path) const;
    rust::Vec<DirEntry> read_dir(rust::Str path) const;
    uint8_t file_type(rust::Str path) const;
    bool is_pure() const;
    rust::String store_dir() const;
    rust::String nix_version() const;

private:
    nix::EvalState & state;
    nix::PosIdx pos;
};

/// Register builtins.jen with Nix; called once from jen_backend_entry.
void register_builtins();

} // namespace jen
