import type { Routing } from '../flows/schema.ts';

/** The attribute that carries the region (kabupaten/kota), which routing needs besides the category. */
export const REGION_ATTRIBUTE = 'region';

/**
 * One GeoReport v2 service per category of `routing.yaml`, in its order. `service_name` is the
 * Indonesian label, `description` the English one. `metadata` is true: every service takes the
 * optional `region` attribute (see {@link serviceDefinition}).
 */
export function servicesOf(routing: Routing) {
  return routing.categories.map((c) => ({
    service_code: c.id,
    service_name: c.label.id,
    description: c.label.en,
    metadata: true,
    type: 'realtime',
    keywords: c.label.en.toLowerCase(),
    group: routing.province.name,
  }));
}

/**
 * The service definition (`services/{code}.json`): one optional attribute, the region, as a list of
 * the regions in `routing.yaml`. A request with a region is routed to that region's agency; without
 * one, to the category's region-less route or the fallback agency (the coordinator).
 *
 * @returns null for an unknown service code
 */
export function serviceDefinition(routing: Routing, serviceCode: string) {
  if (!routing.categories.some((c) => c.id === serviceCode)) return null;
  return {
    service_code: serviceCode,
    attributes: [
      {
        variable: true,
        code: REGION_ATTRIBUTE,
        datatype: 'singlevaluelist',
        required: false,
        datatype_description: 'Kabupaten/kota (regency or city); sent as attribute[region]=<key>',
        order: 1,
        description: 'Wilayah / Region',
        values: routing.regions.map((r) => ({ key: r.id, name: r.name })),
      },
    ],
  };
}
