from abmxl.cli import main

raise SystemExit(main())
