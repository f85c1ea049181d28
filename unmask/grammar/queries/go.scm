; Function and method bodies that may be holes when empty (only comments inside).
(function_declaration body: (block) @body)
(method_declaration body: (block) @body)
