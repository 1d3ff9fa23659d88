// SPDX-License-Identifier: Apache-2.0
/// \file
/// Every accumulator of the typed API.
#pragma once

#include "reel/aggregate/avg.hpp"
#include "reel/aggregate/count.hpp"
#include "reel/aggregate/first_last.hpp"
#include "reel/aggregate/group.hpp"
#include "reel/aggregate/min_max.hpp"
#include "reel/aggregate/percentile.hpp"
#include "reel/aggregate/push.hpp"
#include "reel/aggregate/std_dev.hpp"
#include "reel/aggregate/sum.hpp"
#include "reel/aggregate/top_bottom.hpp"
