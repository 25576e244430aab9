"""``python -m tinygrad_lessons_course`` is ``tl-course``."""

import sys

from .cli import main

if __name__ == "__main__":  # the gradebook writer's spawned process imports this module too
    sys.exit(main())
