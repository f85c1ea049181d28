; Function bodies that may be holes: `pass`, `...`, `raise NotImplementedError` or empty.
(function_definition body: (block) @body)
