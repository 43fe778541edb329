import { AccessControl, Authenticator, JwtVerifier, openJwks, type AuditEntry } from "@meshstream/access";
import { Catalog } from "@meshstream/catalog";
import { Global, Logger, Module } from "@nestjs/common";
import type { PlatformConfig } from "../config/config";
import { PLATFORM_CONFIG } from "../config/config.module";

const logger = new Logger("access");
// One JSON line per catalog change and per refusal; tokens never reach it.
const audit = (entry: AuditEntry) => logger.log({ msg: "audit", ...entry });

function authenticator(c: PlatformConfig): Authenticator {
  const jwt = c.auth.jwt
    ? new JwtVerifier({
        keys: openJwks(c.auth.jwt.jwks, { onReloadError: (err) => logger.warn({ msg: "JWKS file changed but cannot be read; keeping the keys it had", error: err.message }) }),
        issuer: c.auth.jwt.issuer,
        audience: c.auth.jwt.audience,
        groupsClaim: c.auth.jwt.groupsClaim,
      })
    : undefined;
  logger.log({ msg: "access control", auth: c.auth.mode, tls: c.tls ? (c.tls.clientCa ? "mtls" : "tls") : "off", admins: c.auth.admins });
  return new Authenticator({ mode: c.auth.mode, jwt, requireClientCertificate: c.tls?.clientCa !== undefined, admins: c.auth.admins, audit });
}

function accessControl(catalog: Catalog): AccessControl {
  const access = new AccessControl({
    accessOf: (product) => catalog.findDataProduct(product)?.access,
    productOf: (type) => catalog.findEventType(type)?.dataProduct,
    audit,
  });
  catalog.watch(() => access.invalidate());
  return access;
}

/**
 * Who calls (the Authenticator, given to every transport) and what they may
 * do per data product (AccessControl, asked by the controllers).
 */
@Global()
@Module({
  providers: [
    { provide: Authenticator, inject: [PLATFORM_CONFIG], useFactory: authenticator },
    { provide: AccessControl, inject: [Catalog], useFactory: accessControl },
  ],
  exports: [Authenticator, AccessControl],
})
export class AccessModule {}
