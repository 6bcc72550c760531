// A real OpenID Connect provider on loopback for the sign-in tests: the certified `oidc-provider`
// package (npm), configured the way ProConnect behaves for a service provider:
// - the ID token carries no identity claims (sub, acr, amr, nonce only);
// - the identity (email, given_name, usual_name, uid, siret) is returned by the userinfo endpoint
//   as a signed JWT (application/jwt), one claim per scope;
// - logout through the end_session_endpoint.
// Usage: Q2030_OIDC_PROVIDER_JS=.../oidc-provider/lib/index.js node tests/oidc_provider.mjs PORT CLIENT_ID CLIENT_SECRET REDIRECT_URI POST_LOGOUT_URI ACCOUNTS_JSON
// Accounts are { login: {email, given_name, usual_name, uid, siret} }; the test's "login" form
// (oidc-provider's development interactions) takes the login as account id.
import { pathToFileURL } from "node:url";

// ESM ignores NODE_PATH: the package's entry point comes from the test (installed by .ci/run).
const { default: Provider } = await import(pathToFileURL(process.env.Q2030_OIDC_PROVIDER_JS).href);

const [port, clientId, clientSecret, redirectUri, postLogoutUri, accountsJson] = process.argv.slice(2);
const accounts = JSON.parse(accountsJson);
const issuer = `http://127.0.0.1:${port}`;

const configuration = {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutUri],
      response_types: ["code"],
      grant_types: ["authorization_code"],
      id_token_signed_response_alg: "RS256",
      userinfo_signed_response_alg: "RS256",
      token_endpoint_auth_method: "client_secret_post",
    },
  ],
  // ProConnect's scopes, one claim each.
  claims: {
    openid: ["sub"],
    email: ["email"],
    given_name: ["given_name"],
    usual_name: ["usual_name"],
    uid: ["uid"],
    siret: ["siret"],
  },
  scopes: ["openid", "email", "given_name", "usual_name", "uid", "siret"],
  conformIdTokenClaims: true, // identity claims from userinfo only, as ProConnect
  features: {
    devInteractions: { enabled: true },
    jwtUserinfo: { enabled: true },
    rpInitiatedLogout: { enabled: true },
  },
  pkce: { required: () => false },
  async findAccount(ctx, id) {
    const account = accounts[id];
    if (!account) return undefined;
    return {
      accountId: id,
      async claims() {
        return { sub: id, ...account };
      },
    };
  },
  cookies: { keys: ["q2030-test-cookie-key-not-secret"] },
};

const provider = new Provider(issuer, configuration);
provider.listen(Number(port), "127.0.0.1", () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
