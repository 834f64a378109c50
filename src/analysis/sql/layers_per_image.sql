-- Section 2: the distribution of layers per image (layer refs of each image).
SELECT coalesce(n, 0)::BIGINT AS layers, count(*) AS images
FROM a_images LEFT JOIN (SELECT image_id, count(*) AS n FROM a_image_layers GROUP BY image_id) USING (image_id)
GROUP BY 1
ORDER BY 1;
