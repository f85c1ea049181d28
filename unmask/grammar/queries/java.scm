; Method and constructor bodies that may be holes when empty (only comments inside).
(method_declaration body: (block) @body)
(constructor_declaration body: (constructor_body) @body)
