// Which agency receives a report. Pure, so ticket creation can use it without the file-reading loader.
import type { Routing } from './schema.ts';

/**
 * The agency that receives a report: a route naming the category and the region wins over a route
 * naming only the category; with neither, the fallback agency (the coordinator).
 */
export function routeReport(routing: Routing, category: string, region: string | undefined): string {
  let anyRegion: string | undefined;
  for (const route of routing.routes) {
    if (route.category !== category) continue;
    if (route.region === undefined) anyRegion ??= route.agency;
    else if (route.region === region) return route.agency;
  }
  return anyRegion ?? routing.fallback_agency;
}
