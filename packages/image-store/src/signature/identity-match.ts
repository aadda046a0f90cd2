import type { ImageReference } from '@shimkit/oci-spec';
import { formatImageReference, referenceName, tryParseImageReference } from '@shimkit/oci-spec';
import type { SignedIdentity } from './signature-policy.js';

const parse = (text: string) => tryParseImageReference(text, { defaultTag: false });

/** matchRepoDigestOrExact: a tagged image needs exactly its reference signed; a digest one, any reference of its repository. */
function repoDigestOrExact(image: ImageReference, signed: ImageReference): boolean {
  if (image.tag !== undefined && image.digest === undefined) return signed.digest === undefined && formatImageReference(signed) === formatImageReference(image);
  if (image.digest !== undefined) return referenceName(signed) === referenceName(image);
  return false;
}

/** Replaces `prefix` of the image's reference by `signedPrefix` when the reference starts with it at a name boundary. */
function remap(image: ImageReference, prefix: string, signedPrefix: string): ImageReference | undefined {
  const text = formatImageReference(image);
  if (!text.startsWith(prefix)) return image;
  const next = text.charAt(prefix.length);
  if (next !== '' && next !== '/' && next !== ':' && next !== '@') return image;
  return parse(signedPrefix + text.slice(prefix.length));
}

/**
 * Whether a signature claiming `claimed` satisfies the `signedIdentity` rule
 * for the image known as `image` (undefined where the transport gives no
 * docker reference: only exactReference and exactRepository can match then).
 */
export function identityMatches(rule: SignedIdentity, subject: { image: ImageReference | undefined; claimed: string }): boolean {
  const { image, claimed } = subject;
  const signed = parse(claimed);
  if (signed === undefined || (signed.tag === undefined && signed.digest === undefined)) return false;
  switch (rule.type) {
    case 'exactReference': {
      const wanted = parse(rule.dockerReference);
      return wanted !== undefined && formatImageReference(wanted) === formatImageReference(signed);
    }
    case 'exactRepository': {
      const wanted = parse(rule.dockerRepository);
      return wanted !== undefined && referenceName(wanted) === referenceName(signed);
    }
    default:
      break;
  }
  if (image === undefined) return false;
  switch (rule.type) {
    case 'matchExact':
      return (image.tag !== undefined || image.digest !== undefined) && formatImageReference(image) === formatImageReference(signed);
    case 'matchRepoDigestOrExact':
      return repoDigestOrExact(image, signed);
    case 'matchRepository':
      return referenceName(image) === referenceName(signed);
    case 'remapIdentity': {
      const mapped = remap(image, rule.prefix, rule.signedPrefix);
      return mapped !== undefined && repoDigestOrExact(mapped, signed);
    }
  }
}
