-- The images an --image REF names: {{where}} is a condition over (manifest_digest, registry, repository, tag)
-- built from REF (see src/analysis/image-ref.ts). One row per image, with one of its refs for display.
SELECT i.manifest_digest, i.os, i.architecture,
  (SELECT min(a_ref_name(r.registry, r.repository, r.tag)) FROM a_image_refs r WHERE r.manifest_digest = i.manifest_digest) AS ref
FROM a_images i
WHERE i.manifest_digest IN (
  SELECT i2.manifest_digest FROM a_images i2 LEFT JOIN a_image_refs r USING (manifest_digest)
  WHERE {{where}}
)
ORDER BY ref, i.manifest_digest;
