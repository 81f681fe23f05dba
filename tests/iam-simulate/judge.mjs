// The judge: IAM's evaluation of one request against one resource policy (a role's trust
// policy) and optional identity policies, by @cloud-copilot/iam-simulate (pinned in
// package.json). eksfed's tests feed it one JSON request per line on stdin and read one JSON
// answer per line on stdout:
//   in:  {"resource_policy": {...} | null, "identity_policies": [{...}], "boundary": {...} | null,
//         "principal": "ARN", "action": "sts:AssumeRole", "resource": "ARN",
//         "account": "111122223333", "context": {"KEY": "value" | ["v", ...]}}
//   out: {"result": "Allowed" | "ImplicitlyDenied" | "ExplicitlyDenied"} or {"error": "..."}
//
// For an AWS principal (user, role, session) pass an identity policy allowing the action: a
// role of another account needs both sides, and a trust naming an account (`:root`) only
// delegates to that account's own policies. Pass the context keys IAM would set itself
// (`aws:PrincipalArn`, `aws:FederatedProvider`...): the engine does not derive them.
//
// It calls the simulator's engine directly, in Strict mode, rather than runSimulation: that
// entry point drops every context key its service data does not list for the action, which
// includes all OIDC issuer keys of EKS (`oidc.eks.REGION.amazonaws.com/id/X:sub`), and so
// would judge every `sub` condition as a missing key. The engine itself evaluates any key.
import { loadPolicy } from '@cloud-copilot/iam-policy'
import { fileURLToPath, pathToFileURL } from 'node:url'
import readline from 'node:readline'
import path from 'node:path'

const here = path.dirname(fileURLToPath(import.meta.url))
const root = path.join(here, 'node_modules/@cloud-copilot/iam-simulate')
const engine = await import(pathToFileURL(path.join(root, 'dist/esm/core_engine/CoreSimulatorEngine.js')))
const { DiscoveryContextKeyConstraints } = await import(
  pathToFileURL(path.join(root, 'dist/esm/context_keys/discoveryContextKeyConstraints.js'))
)
const { AwsRequestImpl } = await import(pathToFileURL(path.join(root, 'dist/esm/request/request.js')))
const { RequestContextImpl } = await import(pathToFileURL(path.join(root, 'dist/esm/requestContext.js')))

function judge(q) {
  const request = new AwsRequestImpl(
    q.principal,
    { resource: q.resource, accountId: q.account },
    q.action,
    new RequestContextImpl(q.context ?? {})
  )
  const analysis = engine.authorize({
    request,
    sessionPolicy: undefined,
    identityPolicies: (q.identity_policies ?? []).map((p, i) => loadPolicy(p, { name: `identity${i}` })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    resourcePolicy: q.resource_policy ? loadPolicy(q.resource_policy, { name: 'resource' }) : undefined,
    permissionBoundaries: q.boundary ? [loadPolicy(q.boundary, { name: 'boundary' })] : undefined,
    vpcEndpointPolicies: undefined,
    simulationParameters: {
      simulationMode: 'Strict',
      discoveryContextKeyConstraints: new DiscoveryContextKeyConstraints([])
    },
    serviceSettings: { s3: {} }
  })
  return { result: analysis.result.result ?? analysis.result }
}

const rl = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
for await (const line of rl) {
  if (!line.trim()) continue
  let out
  try {
    out = judge(JSON.parse(line))
  } catch (e) {
    out = { error: String(e && e.stack ? e.stack.split('\n')[0] : e) }
  }
  process.stdout.write(JSON.stringify(out) + '\n')
}
