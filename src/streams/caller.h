#pragma once

#include "iam/caller.h"

namespace spate::streams {

// Who is calling (iam/caller.h): streams are scoped by its account and region.
using iam::Caller;

}  // namespace spate::streams
