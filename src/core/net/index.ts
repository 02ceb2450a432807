// Outbound connections on behalf of URLs that someone other than the operator supplied:
// which addresses may be reached (public unicast only, unless allowed), and a request that
// connects to exactly the addresses that were checked.
export {
  checkUrlTarget, isLocalName, literalAddress, resolveTarget, restrictedClass, systemResolver, TargetRefused,
  type AddressClass, type HostResolver, type OutboundPolicy, type RefusalReason, type ResolvedAddress,
} from './address-policy.ts';
export { pinnedLookup, pinnedPost, type PinnedPost } from './pinned-request.ts';
