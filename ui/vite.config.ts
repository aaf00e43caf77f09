/// <reference types="vitest" />
import { defineConfig } from "vite";
import react from "@vitejs/plugin-react";

export default defineConfig({
  plugins: [react()],
  clearScreen: false,
  build: { outDir: "dist", target: "es2021", sourcemap: false },
  server: { port: 1421, strictPort: true, proxy: { "/api": "http://127.0.0.1:1420" } },
  test: { environment: "jsdom", include: ["tests/**/*.test.ts", "tests/**/*.test.tsx"] },
});
