/* The daemon's native lane (api_lane.c): its functions, added to the berth_sys addon's exports. */
#ifndef BERTH_API_LANE_H
#define BERTH_API_LANE_H

#include <node_api.h>

void api_lane_register(napi_env env, napi_value exports);

#endif
