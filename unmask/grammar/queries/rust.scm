; Function bodies that may be holes: empty, or only `todo!()` / `unimplemented!()`.
(function_item body: (block) @body)
