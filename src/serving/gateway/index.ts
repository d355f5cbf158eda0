/** The serving gateway: routes /v2 and /v1 inference traffic to a service's ready replicas. */
export { Gateway, type GatewayOptions, type GatewayRoute, type GatewayServiceStats, type InferAuthorizer } from './gateway.js';
export { parseInferencePath, type InferencePath } from './oip-path.js';
