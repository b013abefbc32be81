// A real OpenID provider for the tests (npm oidc-provider), configured by one JSON in the
// OIDC_PROVIDER_CONFIG environment variable:
//
//   port               where to listen (127.0.0.1 only)
//   issuer             the issuer URL (may be a loopback proxy in front of this port)
//   clients            registered clients (client_id, client_secret, redirect_uris, ...)
//   jwks               the signing keys (private JWKs), fixed so tests can check and forge
//   accounts_file      JSON file: username -> {name, email, groups, cpr}; read at every sign-in,
//                      so a test can change someone's groups between two sign-ins
//   short_lived        usernames whose ID tokens live one second (the expiry test)
//
// Dev interactions give a login form (any username, any password; the username is the `sub`);
// consent is skipped by granting what the client asked for. Custom claims (groups) are part of
// the `profile` scope and, as oidc-provider conforms ID token claims by default, reach the
// client through userinfo only.
import { readFileSync } from "node:fs";
import Provider from "oidc-provider";

const config = JSON.parse(process.env.OIDC_PROVIDER_CONFIG);
const shortLived = new Set(config.short_lived ?? []);

function account(id) {
  let accounts = {};
  try {
    accounts = JSON.parse(readFileSync(config.accounts_file, "utf8"));
  } catch {
    accounts = {};
  }
  const found = accounts[id] ?? {};
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        name: found.name ?? id,
        preferred_username: id,
        email: found.email ?? `${id}@kommune.example`,
        groups: found.groups ?? [],
        // a citizen sign-in broker's CPR number (MitID), asked for with the `ssn` scope
        "dk.cpr": found.cpr,
      };
    },
  };
}

const provider = new Provider(config.issuer, {
  clients: config.clients,
  jwks: config.jwks,
  cookies: { keys: ["opspor-test-provider-cookie-key"] },
  pkce: { required: () => true },
  claims: {
    openid: ["sub"],
    profile: ["name", "preferred_username", "groups"],
    email: ["email"],
    ssn: ["dk.cpr"],
  },
  features: {
    devInteractions: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  findAccount: async (_ctx, id) => account(id),
  async loadExistingGrant(ctx) {
    const grantId =
      ctx.oidc.result?.consent?.grantId || ctx.oidc.session.grantIdFor(ctx.oidc.client.clientId);
    if (grantId) {
      const existing = await ctx.oidc.provider.Grant.find(grantId);
      if (existing) return existing;
    }
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope([...ctx.oidc.requestParamScopes].join(" "));
    await grant.save();
    return grant;
  },
  ttl: {
    IdToken: (_ctx, token) => (shortLived.has(token?.available?.sub) ? 1 : 3600),
    AccessToken: 600,
    AuthorizationCode: 60,
    Interaction: 600,
    Session: 3600,
    Grant: 3600,
  },
});

provider.on("server_error", (_ctx, error) => console.error("server_error", error));
provider.listen(config.port, "127.0.0.1", () => {
  console.log(`oidc-provider listening on 127.0.0.1:${config.port} as ${config.issuer}`);
});
